SELECT
  `t17`.`__p` AS `period`,
  CAST(`t17`.`__n0` AS DOUBLE) / IF(CAST(`t17`.`__n1` AS DOUBLE) = 0, NULL, CAST(`t17`.`__n1` AS DOUBLE)) AS `revenue_per_order`
FROM (
  SELECT
    `t3`.`__p`,
    COALESCE(`t16`.`__n0`, 0) AS `__n0`,
    COALESCE(`t12`.`__n1`, 0) AS `__n1`
  FROM `onpace_periods_4b71f0b1481d` AS `t3`
  LEFT OUTER JOIN (
    SELECT
      `t14`.`__p` AS `__g0p`,
      `t14`.`__n0`
    FROM (
      SELECT
        `t13`.`__p`,
        SUM(`t13`.`qty` * `t13`.`price` * (
          1 - `t13`.`discount`
        )) AS `__n0`
      FROM (
        SELECT
          `t11`.`qty`,
          `t11`.`price`,
          `t11`.`discount`,
          `t11`.`__k0`,
          `t11`.`__j0`,
          `t11`.`__d_order_date`,
          `t11`.`__d_order_date` AS `__t`,
          DATE_FORMAT(`t11`.`__d_order_date`, '%Y-%m-01') AS `__p`
        FROM (
          SELECT
            `t8`.`qty`,
            `t8`.`price`,
            `t8`.`discount`,
            `t8`.`__k0`,
            `t7`.`__j0`,
            `t7`.`__d_order_date`
          FROM (
            SELECT
              `t2`.`qty`,
              `t2`.`price`,
              `t2`.`discount`,
              `t2`.`order_id` AS `__k0`
            FROM `onpace_it_order_lines` AS `t2`
          ) AS `t8`
          LEFT OUTER JOIN (
            SELECT
              `t1`.`id` AS `__j0`,
              `t1`.`order_date` AS `__d_order_date`
            FROM `onpace_it_orders` AS `t1`
          ) AS `t7`
            ON `t8`.`__k0` = `t7`.`__j0`
        ) AS `t11`
        WHERE
          `t11`.`__d_order_date` <= DATE('2024-06-30')
          AND `t11`.`__d_order_date` >= DATE('2024-01-01')
      ) AS `t13`
      GROUP BY
        1
    ) AS `t14`
  ) AS `t16`
    ON `t3`.`__p` = `t16`.`__g0p`
  LEFT OUTER JOIN (
    SELECT
      `t9`.`__p` AS `__g1p`,
      `t9`.`__n1`
    FROM (
      SELECT
        `t6`.`__p`,
        COUNT(*) AS `__n1`
      FROM (
        SELECT
          `t1`.`order_date` AS `__d_order_date`,
          `t1`.`order_date` AS `__t`,
          DATE_FORMAT(`t1`.`order_date`, '%Y-%m-01') AS `__p`
        FROM `onpace_it_orders` AS `t1`
        WHERE
          `t1`.`order_date` <= DATE('2024-06-30')
          AND `t1`.`order_date` >= DATE('2024-01-01')
      ) AS `t6`
      GROUP BY
        1
    ) AS `t9`
  ) AS `t12`
    ON `t3`.`__p` = `t12`.`__g1p`
) AS `t17`
WHERE
  `t17`.`__p` >= DATE('2024-01-01')
